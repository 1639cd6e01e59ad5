"""The targets the issue set, checked against the measured figures: met, not met, or not measured."""


def at(results: dict, *keys):
    """results[k1][k2]...; None when any step is missing (not measured in this run)."""
    for key in keys:
        if not isinstance(results, dict) or results.get(key) is None:
            return None
        results = results[key]
    return results


def main_split(results: dict) -> str:
    """TEST when it was measured; --quick reads TEST_SIMPLE only, so its checks fall back to that."""
    return "TEST" if at(results, "quality", "TEST") else "TEST_SIMPLE"


def target_rows(results: dict) -> list:
    split = main_split(results)
    size = "x".join(map(str, results["model"]["input_size"]))
    rows = [
        ("TEST accuracy (Keras)", ">=", 0.95, "percent", at(results, "quality", "TEST", "keras", "accuracy")),
        ("TEST_SIMPLE accuracy (Keras)", ">=", 0.97, "percent",
         at(results, "quality", "TEST_SIMPLE", "keras", "accuracy")),
        (f"macro-F1 on {split} (Keras)", ">=", 0.95, "ratio", at(results, "quality", split, "keras", "macro_f1")),
        (f"lowest per-class recall on {split} (Keras)", ">=", 0.90, "ratio",
         at(results, "quality", split, "keras", "min_recall")),
        (f"WASM median per {size} input", "<=", 2.0, "ms", at(results, "speed", "wasm", "single_median_ms")),
        ("cold start to first result (median)", "<=", 1.5, "s",
         seconds(at(results, "cold_start", "first_result_median_ms"))),
        ("weights", "<=", 1.0, "MB", megabytes(at(results, "model", "weight_bytes"))),
        (f"browser vs Keras: {split} photos whose top class differs", "=", 0, "count",
         at(results, "quality", split, "browser_vs_keras", "top_class_differs")),
        (f"browser vs Keras: max abs probability difference on {split}", "<=", 1e-3, "float",
         at(results, "quality", split, "browser_vs_keras", "max_abs_difference")),
    ]
    return [{"target": name, "goal": f"{sign} {show(goal, unit)}", "goal_value": goal, "unit": unit,
             "measured": measured, "shown": "not measured" if measured is None else show(measured, unit),
             "met": None if measured is None else COMPARE[sign](measured, goal)}
            for name, sign, goal, unit, measured in rows]


COMPARE = {">=": lambda measured, goal: measured >= goal, "<=": lambda measured, goal: measured <= goal,
           "=": lambda measured, goal: measured == goal}


def seconds(milliseconds):
    return None if milliseconds is None else milliseconds / 1000


def megabytes(count):
    return None if count is None else count / 1e6


def show(value, unit: str) -> str:
    if unit == "percent":
        return f"{value:.1%}"
    if unit == "ratio":
        return f"{value:.3f}"
    if unit == "count":
        return f"{value:,}"
    if unit == "float":
        return f"{value:.1e}"
    if unit == "MB":
        return f"{value:.2f} MB"
    return f"{value:.2f} {unit}"
