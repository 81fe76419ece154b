"""Outgoing e-mail: one `Mailer` protocol; a console mailer (dev) and SMTP (TLS or STARTTLS)."""
