{%- import_yaml "data/defaults.yaml" as defaults %}
{%- import_yaml "data/osmap.yaml" as osmap %}
{%- import_json "data/data.json" as jdata %}
{%- import_text "data/text.txt" as text %}
{%- import_yaml "data/rendered.yaml" as rendered %}
{{ defaults }}
{{ osmap.Debian.pkg }}
{{ jdata }}
{{ text | json }}
{{ rendered }}
{%- do defaults.app.update({'changed': true}) %}
{{ defaults.app.changed }}
{%- load_yaml as loaded %}
a: 1
b:
  - {{ grains.os }}
  - yes
c: '0644'
{%- endload %}
{{ loaded }}
{%- load_json as lj %}
{"x": [1, {"y": "z"}]}
{% endload %}
{{ lj }}
{%- load_text as lt %}
some text
{% endload %}
{{ lt | json }}
{%- set data = {'b': [1, 'two', {'x': none}], 'a': {'k': 'yes', 'e': {}}, 's': 'a: b', 'n': 1.5} %}
{{ data | yaml }}
{{ data | yaml(False) }}
{{ data | json }}
{{ data | json(sort_keys=False) }}
{{ data | tojson }}
{{ data | python }}
{{ "it's \"quoted\"" | yaml_dquote }} {{ "it's" | yaml_squote }} {{ 'plain' | yaml_encode }} {{ 5 | yaml_encode }} {{ none | yaml_encode }}
{{ "{a: [1, 2], b: yes}" | load_yaml }} {{ '{"a": [true]}' | load_json }}
{{ ['x', 'y'] | yaml(False) }}
{{ 'scalar' | yaml }}
{%- import_yaml "data/intkeys.yaml" as ik %}
{{ ik[12] }} {{ ik['12'] is defined }} {{ ik | json(sort_keys=False) }} {{ salt['grains.filter_by'](ik, grain='osmajorrelease') }}
