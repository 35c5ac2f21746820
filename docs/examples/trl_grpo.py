"""Train with TRL's GRPOTrainer on codekiln's rewards (docs/integrations/trl.md; run by tests/integrations)."""

from __future__ import annotations

from pathlib import Path

import datasets
import transformers
import trl

from codekiln.integrations.trl import reward_functions
from codekiln.plugins import make_plugins


def build_trainer(model_dir: Path, output_dir: Path, prompts: list[str], task_ids: list[str]) -> trl.GRPOTrainer:
    """A GRPOTrainer whose reward is codekiln's: each prompt's task is a built-in problem, answered in Python."""
    plugins = make_plugins()
    rewards = reward_functions(
        {"rewards": {"all_tests": 1.0, "format": 0.5}, "sandbox": {"isolation": "namespaces"}},
        plugins=plugins, language="python", max_new_tokens=16,
    )
    dataset = datasets.Dataset.from_dict({"prompt": prompts, "dataset": ["builtin"] * len(prompts),
                                          "task_id": task_ids})
    args = trl.GRPOConfig(
        output_dir=str(output_dir), use_cpu=True, bf16=False, report_to="none", save_strategy="no",
        logging_steps=1, disable_tqdm=True, max_steps=1, per_device_train_batch_size=4, num_generations=2,
        max_completion_length=16, beta=0.0, learning_rate=1e-4, seed=0,
        remove_unused_columns=False,           # keep the dataset/task_id columns for the reward functions
        reward_weights=rewards.weights,
    )
    return trl.GRPOTrainer(model=transformers.AutoModelForCausalLM.from_pretrained(model_dir), reward_funcs=rewards,
                           args=args, train_dataset=dataset,
                           processing_class=transformers.AutoTokenizer.from_pretrained(model_dir))
