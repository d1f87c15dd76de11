{%- for i in range(10) %}
{%- if i is even %}{% continue %}{% endif %}
{%- if i > 6 %}{% break %}{% endif %}
{{ i }}: {{ loop.index }} {{ loop.first }} {{ loop.last }}
{%- endfor %}
{%- for k, v in {'one': 1, 'two': 2, 'three': 3}.items() %}
{%- if v == 2 %}{% continue %}{% endif %}
{{ k }}={{ v }}
{%- endfor %}
{%- set found = [] %}
{%- for u in pillar.app.users %}{% if u == 'bob' %}{% do found.append(loop.index0) %}{% break %}{% endif %}{% endfor %}
{{ found }}
