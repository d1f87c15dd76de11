{{ 'openssh:lookup' | regex_replace(':lookup$', '') }} {{ 'a-b c-d' | regex_replace('(\w)-(\w)', '\\2+\\1') }} {{ 'ABC' | regex_replace('b', 'x', ignorecase=True) }}
{{ 'abcd' | regex_search('^(.*)BC(.*)$', ignorecase=True) }} {{ 'abcd' | regex_search('bc') }} {{ 'abcd' | regex_search('zz') }}
{{ 'abcd' | regex_match('a(b)') }} {{ 'abcd' | regex_match('b') }}
{{ 'web01' is match('web\d+') }} {{ 'db01' is match('web') }} {{ 'a.b' | regex_escape }}
{{ 'yes' | to_bool }} {{ 'No' | to_bool }} {{ 1 | to_bool }} {{ 0 | to_bool }} {{ none | to_bool }} {{ [] | to_bool }} {{ [0] | to_bool }} {{ 'true' | to_bool }}
{{ 'one' | sequence }} {{ ['a'] | sequence }} {{ {'k': 1} | sequence | list }}
{{ [3, 1, 3, 2, 1] | unique }} {{ [1, 2] | union([2, 3]) }} {{ [1, 2, 3] | intersect([2, 3, 4]) }} {{ [1, 2, 3] | difference([2]) }} {{ [1, 2] | symmetric_difference([2, 3]) }}
{{ pillar | traverse('app:users:1') }} {{ pillar | traverse('app:nope', 'dflt') }} {{ pillar | traverse('nested:list:name') }} {{ {'a': {'b': 1}} | traverse('a/b', delimiter='/') }}
{%- set m = {'b': 2, 'A': 3, 'c': 1} %}
{{ m | dictsort }} {{ m | dictsort(true) }} {{ m | dictsort(by='value') }} {{ m | dictsort(false, 'value', true) }}
{{ "a b" | quote }} {{ 'x' | quote }}
{{ salt['test.echo'] is callable }} {{ 'x' is callable }}
{{ "%s-%s" % ('a', 1) }} {{ "/home/%s" % 'bob' }} {{ "%05.1f|%-4s|%d%%" % (3.14159, 'x', 42) }} {{ "%(a)s/%(b)s" % {'a': 1, 'b': 2} }} {{ 7 % 3 }} {{ -7 % 3 }}
{{ 'a.b.yaml'.rpartition('.') }} {{ 'a.b'.partition('.') }} {{ '42'.zfill(5) }} {{ 'ab'.ljust(4, '.') }}| {{ 'ab'.rjust(4) }} {{ 'a b c'.rsplit(' ', 1) }}
{{ "a\nb\n" | indent(2) }}|{{ "a\nb" | indent(2, true) }}|{{ "a\n\nb" | indent(2, blank=true) }}
{{ ['x', none, ['y', ['z']]] | flatten }} {{ '42' | to_num + 1 }} {{ [3, 1] | min }} {{ [3, 1] | max }} {{ [1, 2] | avg }}
{{ {'a': 1} | to_entries }} {{ [{'key': 'k', 'value': 'v'}] | from_entries }}
{{ 'salt' | base64_encode }} {{ 'c2FsdA==' | base64_decode }} {{ [true, false] | exactly_one_true }}
{{ {'name': 'thing', 'changes': true} | dict_to_sls_yaml_params }}
{{ 'x' | skip }}|{{ 'a,b' | path_join('c') if false else '' }}{{ ['a'] is list }} {{ 'a' is list }}
