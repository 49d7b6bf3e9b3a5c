import sys

from perfstack.cli import main

sys.exit(main())
