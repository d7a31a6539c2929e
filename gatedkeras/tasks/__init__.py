"""Long-range dependency tasks, generated and seeded, and `compare`.

Each task is parameterised by the sequence length, has a trivial baseline
(the error of the best constant answer) and a "solved" criterion:

- `"adding"`: the adding problem (Hochreiter and Schmidhuber 1997); test
  MSE, baseline about 0.167 (always 1.0), solved below 0.01.
- `"copy"`: the copy/memory task (Arjovsky et al. 2016); per-symbol error
  of the recalled symbols, baseline about 0.875, solved below 0.01
  (above 99% accuracy).
- `"first_steps"`: classification whose label is set by the first two
  steps, noise after; error rate, baseline about 0.75, solved below 0.01.

`compare(cells, lengths, budget, task)` trains every cell on every length
within one budget and tabulates the errors, caching each run in a folder so
that a long comparison resumes where it stopped.

The tasks live in the package rather than in `recipes/`: the demo and the
diagnostics use them, and the package does not import the recipes.

>>> sorted(gatedkeras.tasks.names())
['adding', 'copy', 'first_steps']
>>> gatedkeras.tasks.get("adding").solved_below
0.01
"""

from gatedkeras.tasks.adding import ADDING
from gatedkeras.tasks.adding import adding_problem
from gatedkeras.tasks.comparison import Table
from gatedkeras.tasks.comparison import compare
from gatedkeras.tasks.copy_memory import COPY
from gatedkeras.tasks.copy_memory import copy_task
from gatedkeras.tasks.first_steps import FIRST_STEPS
from gatedkeras.tasks.first_steps import first_steps_task
from gatedkeras.tasks.task import Task

TASKS = {task.name: task for task in (ADDING, COPY, FIRST_STEPS)}


def get(name):
    """The `Task` of a name (`-` and `_` alike); a `Task` passes through."""
    if isinstance(name, Task):
        return name
    found = TASKS.get(str(name).replace("-", "_"))
    if found is None:
        raise ValueError(
            f"Unknown task. Known tasks: {names()}. Received: task={name!r}"
        )
    return found


def names():
    """The names of the built-in tasks."""
    return list(TASKS)


__all__ = [
    "Table",
    "Task",
    "adding_problem",
    "compare",
    "copy_task",
    "first_steps_task",
    "get",
    "names",
]
