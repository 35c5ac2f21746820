# GRPO with NeMo RL on codekiln's verified-code rewards, in the shape of NeMo RL's own launchers
# (examples/run_grpo_sliding_puzzle.py): codekiln's problems are the dataset, the codekiln environment the
# reward. NeMo RL's GRPO needs GPUs; see docs/integrations/nemo_rl.md for what was run where.
#
#   PYTHONPATH=/path/to/NeMo-RL python examples/nemo_rl/run_grpo_codekiln.py [--config FILE] [key=value ...]

import argparse
import os
import pprint
from pathlib import Path

import nemo_rl
from nemo_rl.algorithms.grpo import MasterConfig, grpo_train, setup
from nemo_rl.algorithms.utils import get_tokenizer
from nemo_rl.distributed.virtual_cluster import init_ray
from nemo_rl.models.generation import configure_generation_config
from nemo_rl.utils.config import load_config, parse_hydra_overrides, register_omegaconf_resolvers
from nemo_rl.utils.logger import get_next_experiment_dir
from omegaconf import OmegaConf

from codekiln.integrations.nemo_rl import register, setup_data

HERE = Path(__file__).resolve().parent


def parse_args():
    """Parse command line arguments."""
    parser = argparse.ArgumentParser(description="Run GRPO training on codekiln's rewards")
    parser.add_argument("--config", type=str, default=None, help="Path to YAML config file")
    args, overrides = parser.parse_known_args()
    return args, overrides


def load_codekiln_config(path):
    """This example's settings over NeMo RL's own GRPO defaults, from the checkout that is imported."""
    base = Path(nemo_rl.__file__).resolve().parent.parent / "examples" / "configs" / "grpo_math_1B.yaml"
    return OmegaConf.merge(load_config(str(base)), load_config(str(path)))


def main():
    """Main entry point."""
    register_omegaconf_resolvers()
    args, overrides = parse_args()
    if not args.config:
        args.config = os.path.join(HERE, "grpo_codekiln_1B.yaml")

    config = load_codekiln_config(args.config)
    print(f"Loaded configuration from: {args.config}")
    if overrides:
        print(f"Overrides: {overrides}")
        config = parse_hydra_overrides(config, overrides)
    config = MasterConfig(**OmegaConf.to_container(config, resolve=True))
    print("Final config:")
    pprint.pprint(config)

    config.logger["log_dir"] = get_next_experiment_dir(config.logger["log_dir"])
    print(f"📊 Using log directory: {config.logger['log_dir']}")

    init_ray()
    register()  # the env "codekiln", its actor's Python, and the processor, in NeMo RL's registries

    tokenizer = get_tokenizer(config.policy["tokenizer"])
    config.policy["generation"] = configure_generation_config(config.policy["generation"], tokenizer)

    dataset, val_dataset, task_to_env, val_task_to_env = setup_data(tokenizer, config.data, config.env)

    (
        policy,
        policy_generation,
        _nemo_gym,
        _cluster,
        dataloader,
        val_dataloader,
        loss_fn,
        logger,
        checkpointer,
        grpo_state,
        master_config,
        _teacher_worker_groups,
        _alias_to_group_alias,
    ) = setup(config, tokenizer, dataset, val_dataset)

    grpo_train(
        policy,
        policy_generation,
        dataloader,
        val_dataloader,
        tokenizer,
        loss_fn,
        task_to_env,
        val_task_to_env,
        logger,
        checkpointer,
        grpo_state,
        master_config,
    )


if __name__ == "__main__":
    main()
