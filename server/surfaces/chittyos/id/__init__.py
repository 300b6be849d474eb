"""ChittyOS ID authority: minting and validating ChittyIDs."""
