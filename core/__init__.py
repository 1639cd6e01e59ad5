"""What every stage shares: files and atomic writes, the CLI error wrapper, image reading and
preprocessing, cell finding, folder and HDF5 datasets, metrics, pictures and the published-model index.

Modules here import nothing from train/, convert/, bench/ or server/. Importing this package
imports nothing heavy: the server uses core.model_index without numpy or TensorFlow.
"""
