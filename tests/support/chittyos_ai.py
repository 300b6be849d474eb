"""What the AI gateway tests share: the default model ids, the gateway's Host, a tool."""

from __future__ import annotations

from typing import Any

CHAT_MODEL = "@cf/meta/llama-3.1-8b-instruct"
EMBEDDING_MODEL = "@cf/baai/bge-base-en-v1.5"
AI_HOST = {"host": "ai.chitty.cc"}
WEATHER_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather of a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
