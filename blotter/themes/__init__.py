"""The shipped themes (TOML files beside this module), read with importlib.resources."""
