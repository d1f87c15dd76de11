{% import_yaml 'app/defaults.yaml' as defaults %}
/tmp/converge-never/app.conf:
  file.managed:
    - contents: {{ defaults.app.port }}
