"""A server's processes and their CPU time and memory, read from /proc.

`chorus serve --workers N` forks N workers under one parent, so a server is
its whole process tree: CPU is summed over it and memory is reported per process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

_CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads) so far; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK  # utime, stime


def process_tree(root: int) -> list[int]:
    """`root` and every live descendant, parents before children."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue  # exited while we looked
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop(0)
        tree.append(pid)
        todo += sorted(children.get(pid, []))
    return tree


@dataclass(frozen=True)
class Memory:
    """VmRSS (resident now) and VmHWM (the peak resident size so far), in KiB."""

    rss_kib: int
    hwm_kib: int


def memory(pid: int) -> Memory | None:
    """The process's memory from /proc/PID/status; None once it is gone."""
    values: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    name, value = line.split(":", 1)
                    values[name] = int(value.split()[0])  # "  123456 kB"
    except OSError:
        return None
    return Memory(values.get("VmRSS", 0), values.get("VmHWM", 0))


def tree_memory(root: int) -> dict[int, Memory]:
    """Memory of every process in `root`'s tree, by pid."""
    return {pid: m for pid in process_tree(root) if (m := memory(pid)) is not None}
