"""Score a batch with the rewards a config names, the way the trainer does.

Shown in docs/howto/reward-plugin.md, with the config docs/examples/reward_weights.yaml.

>>> for breakdown in score_batch():
...     print(round(breakdown.total, 3), breakdown.masked, breakdown.components)
0.647 False {'all_tests': 1.0, 'format': 0.5, 'length': 0.0, 'tests': 1.0}
-0.176 False {'all_tests': 0.0, 'format': 1.0, 'length': -1.0, 'tests': 0.5}
0.0 True {'all_tests': None, 'format': 0.0, 'length': 0.0, 'tests': None}
"""

from __future__ import annotations

from pathlib import Path

from codekiln.config import load_config
from codekiln.plugins import make_plugins
from codekiln.rewards import RewardSet
from codekiln.verdict import RewardBreakdown, Verdict, VerdictStatus

CONFIG = Path(__file__).with_name("reward_weights.yaml")
CODE = "def double(x: int) -> int:\n    return 2 * x\n"


def score_batch() -> list[RewardBreakdown]:
    config = load_config(CONFIG)
    # A script is an entry point: it builds the plugin session, and everything else receives it.
    rewards = RewardSet.from_config(config, make_plugins())
    completions = [
        f"Here it is:\n```python\n{CODE}```",  # passes; prose around the block costs format 0.5
        f"```python\n{CODE}```",  # half the tests pass; 200 tokens reach the length limit
        "",  # verification failed on our side: the breakdown is masked, whatever format and length say
    ]
    return rewards(
        completions,
        problems=[None] * 3,  # no reward in this config reads the problem
        languages=["python"] * 3,
        verdicts=[
            Verdict(VerdictStatus.PASSED, "python", tests_passed=4, tests_total=4),
            Verdict(VerdictStatus.WRONG_ANSWER, "python", tests_passed=2, tests_total=4),
            Verdict(VerdictStatus.INFRA_ERROR, "python", masked=True),
        ],
        codes=[CODE, CODE, ""],
        completion_lengths=[40, 200, 0],
        max_new_tokens=256,
    )
