"""Surface-agnostic domain services shared by every API surface."""
