"""Server throughput: many clients fetching the whole default model at once (bench/loadtest.py)."""
from bench.loadtest import fetch_model_concurrently

CLIENTS = 50
ROUNDS = 20


def server_throughput(base_url: str, clients: int = CLIENTS, rounds: int = ROUNDS) -> dict:
    return {"clients": clients, "rounds": rounds,
            **fetch_model_concurrently(base_url, clients=clients, rounds=rounds)}
