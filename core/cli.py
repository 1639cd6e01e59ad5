"""What every stage's command line does alike: expected failures are one readable line, not a traceback."""
import sys


def run_stage(work, expected_errors: tuple, done) -> int:
    """Run work(); print done(result) on success (exit 0) or `error: ...` for an expected failure (exit 2)."""
    try:
        result = work()
    except expected_errors as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(done(result), file=sys.stderr)
    return 0
