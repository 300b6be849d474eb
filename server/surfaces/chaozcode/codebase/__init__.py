"""ChaozCode's codebase routes: deterministic analysis (analysis.py, manifests.py), the
ruff analyser (ruff_check.py), and the model's generate/review/fix (assistant.py)."""
