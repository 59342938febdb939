"""TensorFlow generator registry for PINN architectures."""
from ptycho.generators.registry import resolve_generator

__all__ = ['resolve_generator']
