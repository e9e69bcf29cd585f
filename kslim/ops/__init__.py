"""Graph, scopes and arg_scope: the machinery slim model code runs on."""
