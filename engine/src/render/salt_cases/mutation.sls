{#- dicts and lists change in place, seen through every reference #}
{%- set d = {'b': 1, 'a': 2} %}
{%- set alias = d %}
{%- do d.update({'c': 3}) %}
{%- do d.update(e=5) %}
{{ alias }}
{{ d.pop('b') }} {{ d.pop('zz', 'dflt') }} {{ d }}
{{ d.setdefault('a', 9) }} {{ d.setdefault('n', [1]) }} {{ d }}
{%- do d.n.append(2) %}
{{ alias.n }} {{ d.get('missing') }} {{ d.get('missing', 'x') }}
{{ d.keys() | list }} {{ d.values() | list }} {{ d.items() | list }}
{%- set c = d.copy() %}{% do c.update({'only': 'copy'}) %}
{{ d }} {{ c }}
{%- set l = [3, 1, 2] %}
{%- do l.append(4) %}{% do l.extend([5, 6]) %}{% do l.insert(0, 0) %}
{{ l }} {{ l.pop() }} {{ l.pop(0) }} {{ l }}
{%- do l.remove(1) %}
{{ l.index(4) }} {{ l.count(2) }} {{ l }}
{%- do l.sort() %}{{ l }}
{%- do l.reverse() %}{{ l }}
{%- do l.sort(reverse=True) %}{{ l }}
{#- a macro that updates the dict it is given, as libtofs and map.jinja do #}
{%- macro add(target, key, value) %}{% do target.update({key: value}) %}{% endmacro %}
{{- add(d, 'from_macro', true) }}
{{ alias['from_macro'] }}
{#- a list defined outside, appended to inside a loop #}
{%- set seen = [] %}
{%- for x in ['a', 'b', 'a'] %}{% if x not in seen %}{% do seen.append(x) %}{% endif %}{% endfor %}
{{ seen }} {{ seen | length }}
{%- do d.pop('e') if d.e is defined %}
{{ 'e' in d }}
{%- set nested = {'x': {'y': []}} %}{% do nested.x.y.append('deep') %}{% do nested['x'].update({'z': 1}) %}
{{ nested }}
{%- set p = pillar.get('app') %}{% do p.update({'touched': 'yes'}) %}
{{ pillar.app.touched }} {{ salt['pillar.get']('app:touched') }}
{%- set fresh = dict(a=1) %}{% do fresh.update({'b': 2}) %}
{{ fresh }} {{ dict([('k', 'v')]) }}
{%- set popped = {'k': 'v'}.pop('k') %}
{{ popped }}
{{ {'k': none, 's': "it's", 'f': 1.0, 't': true, 'l': [1, 'two']} }}
