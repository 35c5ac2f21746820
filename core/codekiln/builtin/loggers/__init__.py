"""The built-in loggers, one plugin module each: JSON lines, TensorBoard, W&B, MLflow and Prometheus."""
