# No models: the module exists so that post_migrate reaches this app (see apps.py).
