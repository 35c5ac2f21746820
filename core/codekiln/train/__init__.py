"""Training: the embedded default model, generation backends, SFT and GRPO.

Everything here imports torch and transformers lazily from the modules that need them, so the light CLI
commands never pay for them.
"""
