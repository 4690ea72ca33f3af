"""``python -m ecrm_cli`` is the same as the ``ecrm`` console script."""

from ecrm_cli.main import main

if __name__ == "__main__":
    main()
