"""protoc-gen-chorus: writes the bridge's route tables and OpenAPI documents."""
