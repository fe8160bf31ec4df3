def main() -> None:  # placeholder until the CLI lands
    raise SystemExit("blotter: not built yet")
