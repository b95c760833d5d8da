"""People's accounts: password rules, login protection, two-factor, audit."""
