"""The exchange (异地转移系统): signed, versioned documents between social insurance agencies."""
