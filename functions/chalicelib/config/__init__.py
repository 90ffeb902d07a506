"""What a deployment is configured with: the office file and the environment's settings.

``office`` is the office configuration (regions, units, channels, rules) and its one
loader; ``settings`` reads the environment of a process (store, keys, limits). The site
build, the posters, the CLI and both front doors all load the office through here.
"""
