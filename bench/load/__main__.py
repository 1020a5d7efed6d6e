import sys

from bench.load.runner import main

sys.exit(main())
