"""Codebase analysis micro-benchmark: `analyze()` on a synthetic 200-file React/TypeScript project.

80 TSX components, 30 hooks, 40 util modules, 40 TSX test files, 10 type-only
modules (~12,400 lines, ~710,000 characters: under the route's 900,000 limit).
Prints the roles found and ms per analysis (median and min of --runs).
--baseline FILE times another analysis.py (say, an older commit's, from
`git show <commit>:server/surfaces/chaozcode/codebase/analysis.py > FILE`)
side by side, alternating runs, on the same files.

Run: .venv/bin/python bench/bench_codebase.py [--runs 15] [--baseline FILE]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as a plain script

from server.surfaces.chaozcode.codebase import analysis
from server.surfaces.chaozcode.codebase.analysis import SourceFile


def _component(i: int) -> str:
    rows = "\n".join(
        f'        <li key="{j}" className="item-{j}" onClick={{() => select({j})}}>{{items[{j}]?.label}}</li>'
        for j in range(40)
    )
    return f"""import React, {{ useState, useMemo }} from 'react';
import {{ formatDate{i % 40} }} from '../utils/format{i % 40}';

export interface Card{i}Props {{
  title: string;
  items: Array<{{ id: number; label: string }}>;
  onSelect?: (id: number) => void;
}}

export const Card{i}: React.FC<Card{i}Props> = ({{ title, items, onSelect }}) => {{
  const [selected, setSelected] = useState<number | null>(null);
  const sorted = useMemo(() => [...items].sort((a, b) => a.id - b.id), [items]);
  const select = (id: number) => {{
    setSelected(id);
    onSelect?.(id);
  }};
  return (
    <section className="card">
      <h2>{{title}} {{formatDate{i % 40}(new Date())}}</h2>
      <ul>
{rows}
      </ul>
      {{selected !== null && <p>Selected: {{selected}}</p>}}
      <footer>{{sorted.length}} items</footer>
    </section>
  );
}};

export default Card{i};
"""


def _hook(i: int) -> str:
    steps = "\n".join(
        f"        const v{j} = await fetch(`/api/{i}/{j}`).then((r) => r.json());\n"
        f"        if (!cancelled) setData((d) => ({{ ...d, k{j}: v{j} }}));"
        for j in range(20)
    )
    return f"""import {{ useEffect, useState }} from 'react';

export function useResource{i}(id: string) {{
  const [data, setData] = useState<Record<string, unknown>>({{}});
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => {{
    let cancelled = false;
    (async () => {{
      try {{
{steps}
      }} catch (e) {{
        setError(e as Error);
      }}
    }})();
    return () => {{ cancelled = true; }};
  }}, [id]);
  return {{ data, error }};
}}
"""


def _util(i: int) -> str:
    functions = "\n\n".join(
        f"""export function formatDate{i}_{j}(d: Date, locale = 'en-US'): string {{
  const parts = [d.getFullYear(), d.getMonth() + 1, d.getDate()].map((n) => String(n).padStart(2, '0'));
  return locale === 'en-US' ? parts.join('-') : parts.reverse().join('.');
}}"""
        for j in range(12)
    )
    return functions + f"\n\nexport const formatDate{i} = (d: Date) => formatDate{i}_0(d);\n"


def _test(i: int) -> str:
    cases = "\n".join(
        f"""  it('renders item {j}', () => {{
    render(<Card{i} title="t" items={{[{{ id: {j}, label: 'x' }}]}} />);
    expect(screen.getByText('x')).toBeInTheDocument();
  }});"""
        for j in range(15)
    )
    return f"""import {{ render, screen }} from '@testing-library/react';
import {{ Card{i} }} from '../components/Card{i}';

describe('Card{i}', () => {{
{cases}
}});
"""


def project() -> list[SourceFile]:
    model = "export interface Model{i} {{ id: number; name: string; tags: string[] }}\n"
    return [
        *(SourceFile(f"src/components/Card{i}.tsx", _component(i)) for i in range(80)),
        *(SourceFile(f"src/hooks/useResource{i}.ts", _hook(i)) for i in range(30)),
        *(SourceFile(f"src/utils/format{i}.ts", _util(i)) for i in range(40)),
        *(SourceFile(f"src/__tests__/Card{i}.test.tsx", _test(i)) for i in range(40)),
        *(SourceFile(f"src/types/model{i}.ts", model.format(i=i) * 20) for i in range(10)),
    ]


def _load(path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location("baseline_analysis", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--baseline", help="another analysis.py to time side by side")
    args = parser.parse_args()
    files = project()
    lines = sum(len(f.content.splitlines()) for f in files)
    print(f"{len(files)} files, {lines:,} lines, {sum(len(f.content) for f in files):,} characters")
    candidates: dict[str, Callable[[list[SourceFile]], object]] = {"current": analysis.analyze}
    if args.baseline:
        candidates["baseline"] = _load(args.baseline).analyze
    timings: dict[str, list[float]] = {name: [] for name in candidates}
    for name, analyze in candidates.items():
        found = analyze(files)  # also builds the parsers, as the first request does
        roles = {role: getattr(found, role) for role in ("components", "hooks", "utils", "tests")}
        print(f"{name}: {roles}")
    for _ in range(args.runs):
        for name, analyze in candidates.items():
            start = time.perf_counter()
            analyze(files)
            timings[name].append((time.perf_counter() - start) * 1000)
    for name, runs in timings.items():
        print(f"{name}: median {statistics.median(runs):.1f} ms, min {min(runs):.1f} ms per analysis")


if __name__ == "__main__":
    main()
