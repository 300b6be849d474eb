"""What every surface builds on, and nothing surface-specific: admission, tenancy, chat, models, storage."""
