"""ChittyOS auth: access tokens, their keys and sessions, and the policies that check them."""
