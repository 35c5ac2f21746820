"""Models for the generation service's tests, built from the embedded default in seconds: the untrained default
itself (its answers are noise), one taught a single problem's reference (it answers that one correctly), and one
whose checkpoint is broken (it raises at generation)."""

from __future__ import annotations

import shutil
from pathlib import Path

#: The built-in problem the taught models answer.
TAUGHT = "all_unique"
#: A right answer to it that runs a shell: bandit's B605, high severity.
INSECURE = ("import os\n\n\ndef all_unique(values):\n    os.system(\"true \" + str(len(values)))\n"
            "    return len(set(values)) == len(values)\n")


def taught_model(default_dir: Path, plugins, out: Path, answer: str | None = None, steps: int = 80) -> Path:
    """``default_dir``'s model after ``steps`` of Adam on ``TAUGHT``'s SFT example in Python (its prompt, then
    ``answer``, by default the reference): it then writes that answer, nearly always even when sampling."""
    import attrs
    import torch

    from codekiln.config import ModelConfig
    from codekiln.datasets import load_dataset
    from codekiln.train.policy import load_policy, save_policy
    from codekiln.train.prompts import sft_example

    policy = load_policy(ModelConfig(path=str(default_dir)), device=torch.device("cpu"))
    problem = next(p for p in load_dataset("builtin", plugins.datasets()) if p.id == TAUGHT)
    if answer is not None:
        problem = attrs.evolve(problem, references={"python": answer})
    prompt, target = sft_example(problem, "python", plugins.languages().get("python"), policy.tokenizer, "auto")
    prompt_ids = policy.tokenizer(prompt, add_special_tokens=False)["input_ids"]
    ids = torch.tensor([prompt_ids + policy.tokenizer(target, add_special_tokens=False)["input_ids"]])
    labels = ids.clone()
    labels[0, :len(prompt_ids)] = -100  # learn the answer, not the question
    torch.manual_seed(0)
    optimizer = torch.optim.AdamW(policy.model.parameters(), lr=3e-3)
    policy.model.train()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # on a busy machine one thread runs these small steps many times faster
    try:
        for _ in range(steps):
            optimizer.zero_grad()
            policy.model(input_ids=ids, labels=labels).loss.backward()
            optimizer.step()
    finally:
        torch.set_num_threads(threads)
    save_policy(policy, out)
    return out


def broken_model(default_dir: Path, out: Path) -> Path:
    """The default's tokenizer over a model with a 16-token vocabulary: every prompt holds token ids past its
    embedding table, so generation raises (an IndexError), as a mismatched checkpoint does."""
    import transformers

    from codekiln.train.policy import DEFAULT_MODEL

    shutil.copytree(default_dir, out)
    config = transformers.Qwen2Config(**{**DEFAULT_MODEL, "num_hidden_layers": 1}, vocab_size=16)
    transformers.Qwen2ForCausalLM(config).save_pretrained(out)
    return out
