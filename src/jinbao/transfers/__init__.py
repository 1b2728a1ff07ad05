"""Transfer and continuation of pension relationships (养老保险关系转移接续)."""
