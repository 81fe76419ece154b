"""Administration routes (admin role): the audit log."""
