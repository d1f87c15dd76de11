{%- set ok = salt['grains.get']('os') %}
/tmp/converge-never/app.conf:
  file.managed:
    - contents: {{ salt['grains.fliter_by']({'Debian': 'x'}) }}
