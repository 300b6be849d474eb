"""Cloudflare Access: verifying the assertion that names the MCoS user."""
