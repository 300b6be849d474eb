"""The agent/tool loop's parts: tools a model may call, admitted and metered."""
