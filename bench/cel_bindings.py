"""Compare CEL bindings on the engine's workload: 30 rules over one record with its relations.

Usage: python bench/cel_bindings.py
Measures cel-expr-python (used by ap-lint) and, when installed, the Rust-backed
`common-expression-language` and the pure-Python `cel-python`
(`pip install common-expression-language cel-python` in a scratch venv).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

import yaml

ROOT = Path(__file__).resolve().parents[1]
EXPRESSIONS = [
    "record.reason != 'behaviour' || size(record.objectives) > 0",
    "record.start_date < record.planned_end_date",
    "record.reviews.all(r, has(r.attendance_percent))",
    "provider.quality_assurance.visits.exists(v, v.date <= record.start_date)",
    "school.principal.name == record.decision.name",
] * 6


def _context() -> dict[str, Any]:
    def load(relative: str) -> Any:
        data = yaml.safe_load((ROOT / "records" / relative).read_text("utf-8"))
        return _plain(data)
    return {
        "record": load("placements/oakfield/oakfield-2026-001.yaml"),
        "provider": load("providers/hillcrest-learning-centre.yaml"),
        "school": load("schools/oakfield.yaml"),
        "today": "2026-11-28",
    }


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _time(label: str, run: Callable[[], None], repeat: int = 2000) -> None:
    run()
    start = time.perf_counter()
    for _ in range(repeat):
        run()
    print(f"{label:<58} {(time.perf_counter() - start) / repeat * 1e6:9.1f} µs per record")


def main() -> None:
    context = _context()
    from cel_expr_python import cel as cpp
    env = cpp.NewEnv(variables={name: cpp.Type.DYN for name in context})
    programs = [env.compile(e) for e in EXPRESSIONS]
    screen = env.compile("[" + ", ".join(EXPRESSIONS) + "]")

    def cpp_each() -> None:
        activation = env.Activation(context)
        for program in programs:
            program.eval(activation)

    _time("cel-expr-python (C++), 30 programs", cpp_each)
    _time("cel-expr-python (C++), one screen program", lambda: screen.eval(env.Activation(context)))
    try:
        import cel as rust  # common-expression-language
        rust_programs = [rust.compile(e) for e in EXPRESSIONS]

        def rust_each() -> None:
            rust_context = rust.Context(context)
            for program in rust_programs:
                program.execute(rust_context)
        _time("common-expression-language (Rust), 30 programs", rust_each)
    except ImportError:
        print("common-expression-language not installed: skipped")
    try:
        import celpy  # cel-python
        celpy_env = celpy.Environment()
        celpy_programs = [celpy_env.program(celpy_env.compile(e)) for e in EXPRESSIONS]
        activation = {k: celpy.json_to_cel(v) for k, v in context.items()}
        _time("cel-python (pure Python), 30 programs",
              lambda: [p.evaluate(activation) for p in celpy_programs], repeat=50)
    except ImportError:
        print("cel-python not installed: skipped")


if __name__ == "__main__":
    main()
