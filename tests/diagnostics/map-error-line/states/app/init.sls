{% from 'app/map.jinja' import app with context %}
/tmp/converge-never/app.conf:
  file.managed:
    - contents: {{ app.config }}
