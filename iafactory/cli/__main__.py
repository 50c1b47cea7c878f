"""`python -m iafactory.cli ...`"""

from iafactory.cli import main

main()
