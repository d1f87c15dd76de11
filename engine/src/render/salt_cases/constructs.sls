{#- Constructs of saltstack-formulas not exercised elsewhere #}
{%- macro wrap(tag) -%}<{{ tag }}>{{ caller() }}</{{ tag }}>{%- endmacro %}
{%- macro each(items) -%}{% for i in items %}{{ caller(i) }}{% endfor %}{%- endmacro %}
{% call wrap('b') %}inner {{ 1 + 1 }}{% endcall %}
{% call(x) each(['a', 'b']) %}[{{ x }}]{% endcall %}
{%- set app = salt['pillar.get']('app', default={'extra': {'k': 1}, 'port': 1}, merge=True) %}
{{ app }}
{{ salt['pillar.get']('app:lookup', {'pkg': 'app', 'svc': 'appd'}, merge=True) }}
{{ salt['pillar.get']('app:users', ['carol'], merge=True, merge_nested_lists=True) }}
{{ salt['grains.filter_by']({'Debian-12': {'v': 12}, 'default': {'v': 0}}, grain='osfinger', default='default', merge={'extra': True}) }}
{{ salt['grains.filter_by']({'RedHat': 'rh'}, grain='os_family', default='RedHat') }}
{%- set ns = namespace(found=false, n=0) %}
{%- for u in salt['pillar.get']('app:users', []) %}{% if u == 'bob' %}{% set ns.found = true %}{% endif %}{% set ns.n = ns.n + 1 %}{% endfor %}
{{ ns.found }} {{ ns.n }}
{% filter upper %}shout {{ 'this' }}{% endfilter %}
{% with a = 1, b = 'two' %}{{ a }} {{ b }}{% endwith %}
{% raw %}{{ not rendered }} {% if %}{% endraw %}
{{ 10 / 4 }} {{ 10 // 4 }} {{ 2 ** 10 }} {{ 7.0 }} {{ 1e3 }} {{ -3 | abs }} {{ 3.14159 | round(2) }} {{ 2.5 | round(0, 'floor') }} {{ '12' | int + 1 }} {{ 'x' | int(7) }} {{ '3.5' | float }}
{{ True }} {{ none }} {{ [1, 'a', none, true, 1.5] }} {{ {'a': none, 'b': [false]} }} {{ (1, 2) }} {{ '%s' % none }}
{{ 'abc'[1:] }} {{ [1, 2, 3][-1] }} {{ 'abc' | reverse | join }} {{ [1, 2, 3, 4, 5] | batch(2) | list }} {{ [1, 2, 3] | sum }} {{ [1, 2, 3] | count }}
{{ 'hello world' | title }} {{ 'hello' | capitalize }} {{ '  pad  ' | trim }}| {{ 'a-b-c' | replace('-', '+') }} {{ 'a b c' | wordcount }} {{ 'x' | center(5) }}|
{{ 'a,b,c'.split(',') }} {{ 'Mixed'.upper() }} {{ 'Mixed'.lower() }} {{ ' s '.strip() }} {{ 'abc'.startswith('a') }} {{ 'abc'.endswith('bc') }} {{ '{0}-{1}'.format('x', 2) }} {{ '{}/{}'.format('a', 'b') }} {{ '123'.isdigit() }} {{ '-'.join(['a', 'b']) }} {{ 'a.b.c'.split('.', 1) }} {{ 'abc'.replace('b', 'B') }} {{ 'title case'.title() }}
{%- set d = {'b': 1, 'a': 2} %}
{{ d.get('a') }} {{ d.get('z', 'dflt') }} {{ d.keys() | list }} {{ d.values() | list }} {{ d.items() | list }} {{ 'a' in d }} {{ d | length }}
{%- set l = [3, 1, 2] %}{% do l.append(4) %}{% do l.extend([5]) %}{% do l.insert(0, 0) %}
{{ l }} {{ l | sort }} {{ l | sort(reverse=true) }} {{ l.index(2) }} {{ l.count(1) }} {{ l | first }} {{ l | last }} {{ l | min }} {{ l | max }} {{ l | join(',') }}
{%- set people = [{'name': 'b', 'age': 2, 'admin': true}, {'name': 'a', 'age': 1, 'admin': false}] %}
{{ people | map(attribute='name') | list }} {{ people | selectattr('admin') | map(attribute='name') | list }} {{ people | rejectattr('admin') | list }} {{ people | sort(attribute='age') | map(attribute='name') | join }} {{ people | sum(attribute='age') }}
{{ ['ab', 'cd', 'ax'] | select('match', 'a.*') | list }} {{ ['web1', 'db1'] | reject('match', 'web') | list }} {{ ['a', 'B'] | map('upper') | list }}
{%- for g, items in people | groupby('admin') %} {{ g }}={{ items | map(attribute='name') | list }}{% endfor %}
{% for x in ['a', 'b', 'c'] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.cycle('x', 'y') }} {% endfor %}
{% for x in [] %}never{% else %}empty loop{% endfor %}
{{ 'x' is string }} {{ 1 is number }} {{ {} is mapping }} {{ [] is iterable }} {{ none is none }} {{ false is sameas false }} {{ 6 is divisibleby(3) }} {{ 4 is even }} {{ 3 is odd }} {{ x is defined }} {{ d is defined }} {{ 'a' is in ['a'] }} {{ 'abc' is lower }} {{ 'ABC' is upper }}
{{ undefined_thing | default('dflt') }} {{ '' | default('empty', true) }} {{ none | default('n') }} {{ 0 | default('z', true) }}
{{ 'salt' | base64_encode }}
{{ [1, [2, [3]]] | tojson }} {{ {'k': 'v'} | yaml(false) }}| {{ {'k': ['v']} | yaml }}|
{{ 'a\nb' | indent(4) }}
{{ salt['pillar.get']('nested:list') | map(attribute='name') | list }} {{ pillar.get('app', {}).get('port') }} {{ pillar['app']['users'] | length }}
{{ grains.get('osfinger', grains['os']) }} {{ grains['os_family'] in ['Debian', 'RedHat'] }} {{ grains.roles | join(' ') }}
{% include 'data/text.txt' %}
{%- set a, b = 1, 'two' %}
{{ a }} {{ b }} {{ range(1, 10, 3) | list }} {{ 'x' ~ none }} {{ [1, 2] + [3] }} {{ 'ab' * 3 }} {{ 'abc' | list }} {{ 'ab' | first }} {{ 5 is ge(3) }} {{ 2 is eq(2) }} {{ 1 if none else 2 }} {{ "tab\there" }}
{{ d | dictsort | map('first') | list }} {{ d.items() | list | sort }} {{ {'a': 1} | items | list }} {{ 'x,y' | string | length }} {{ [0, 1, ''] | select | list }} {{ ['a', 'b'] | batch(3, '-') | list }}
{% for x in [{'n': 1, 'kids': [{'n': 2, 'kids': []}]}] recursive %}{{ x.n }}{% if x.kids %}({{ loop(x.kids) }}){% endif %}{% endfor %}
{%- set dflt = salt['pillar.get']('nope:deeper', default={'made': 'up'}) %}
{{ dflt.made }} {{ salt['pillar.get']('app:port', 1) + 1 }} {{ salt['pillar.get']('app:missing', none) }} {{ salt['pillar.get']('flag') is sameas true }}
