"""Training stage: folder-per-class images in, a Keras .h5 model with metrics and pictures out."""
