"""Login with an e-mailed one-time code, tokens, users and the audit trail."""
