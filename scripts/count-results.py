"""Prints "<suite> <passed> <failed>" for a meson testlog.json or a junit XML file."""
import json
import sys
import xml.etree.ElementTree as ET


def meson(path):
    passed = failed = 0
    try:
        with open(path) as f:
            for line in f:
                result = json.loads(line).get("result")
                if result in ("OK", "EXPECTEDFAIL", "SKIP"):
                    passed += 1
                else:
                    failed += 1
    except FileNotFoundError:
        failed += 1
    print("unit", passed, failed)


def junit(path):
    try:
        root = ET.parse(path).getroot()
    except (FileNotFoundError, ET.ParseError):
        print("e2e 0 1")
        return
    suites = [root] if root.tag == "testsuite" else list(root)
    total = sum(int(s.get("tests", 0)) for s in suites)
    bad = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    skipped = sum(int(s.get("skipped", 0)) for s in suites)
    print("e2e", total - bad - skipped, bad)


if __name__ == "__main__":
    {"meson": meson, "junit": junit}[sys.argv[1]](sys.argv[2])
