"""MCoS's servicers: proto in, domain call, proto out."""
