"""What only officers' machines run: key files, decryption, re-sealing, request signing."""
