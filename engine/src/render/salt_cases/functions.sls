{%- import_yaml "data/defaults.yaml" as defaults %}
{%- import_yaml "data/osmap.yaml" as osmap %}
{%- set app = salt['grains.filter_by'](osmap, merge=salt['pillar.get']('app:lookup'), base=None) %}
{{ app }}
{%- set merged = salt['grains.filter_by']({'default': {'a': 1, 'd': {'x': 1}}, 'Debian': {'d': {'y': 2}}, 'RedHat': {'r': 1}}, grain='os', base='default') %}
{{ merged }}
{{ salt['grains.filter_by']({'web': 'is web', 'db': 'is db'}, grain='roles') }}
{{ salt['grains.filter_by']({'Deb*': 'glob'}, grain='os') }} {{ salt['grains.filter_by']({'x': 1, 'fallback': 2}, default='fallback') }} {{ salt['grains.filter_by']({'x': 1}) }}
{{ salt['grains.filter_by']({'12': 'twelve'}, grain='osmajorrelease') }}
{{ salt['grains.get']('roles:0') }} {{ salt['grains.get']('nope', 'dflt') }} {{ salt['grains.get']('roles|1', delimiter='|') }} {{ salt['grains.get']('nope') }}|
{{ salt['pillar.get']('app:users') }} {{ salt['pillar.get']('nested:list:1:name') }} {{ salt['pillar.get']('nested/a:b', delimiter='/') }}
{{ salt['pillar.get']('app', {'extra': 1, 'port': 1}, merge=True) }}
{{ salt['pillar.get']('app:users', ['carol'], merge=True) }}
{{ salt['config.get']('app:port') }} {{ salt['config.get']('os') }} {{ salt['config.get']('id') }} {{ salt['config.get']('only_in_master') }} {{ salt['config.get']('nope', 'dflt') }}|
{{ salt['slsutil.merge']({'a': {'x': 1}, 'l': [1]}, {'a': {'y': 2}, 'l': [2]}) }}
{{ salt['slsutil.merge']({'a': {'x': 1}, 'l': [1]}, {'a': {'y': 2}, 'l': [2]}, merge_lists=True) }}
{{ salt['slsutil.merge']({'a': {'x': 1}, 'b': 1}, {'a': {'y': 2}}, strategy='overwrite') }}
{{ salt['slsutil.merge']({'a': 1, 'b': 2}, {'a': 3}, strategy='list') }}
{{ salt['slsutil.merge_all']([{'a': 1}, {'b': 2}, {'a': 3}]) }}
{{ salt['slsutil.serialize']('json', {'b': 1, 'a': [true, none]}) }}
{{ salt['slsutil.serialize']('yaml', {'b': 1, 'a': [true, none]}) }}
{{ salt['slsutil.deserialize']('yaml', 'a: [1, yes]') }} {{ salt['slsutil.deserialize']('json', '{"a": 1}') }}
{{ salt['slsutil.boolstr'](true) }} {{ salt['slsutil.boolstr'](0, 'yes', 'no') }}
{%- set dest = {'a': {'x': 1}} %}{% set ret = salt['defaults.merge'](dest, {'a': {'y': 2}, 'b': 3}) %}
{{ dest }} {{ ret }}
{%- set copy = salt['defaults.deepcopy'](dest) %}{% do copy.a.update({'z': 0}) %}
{{ dest }} {{ copy }}
{{ salt['defaults.merge']({'l': [1]}, {'l': [2]}, merge_lists=True, in_place=False) }}
{{ salt['file.dirname']('/etc/app/app.conf') }} {{ salt['file.basename']('/etc/app/app.conf') }} {{ salt['file.join']('/etc', 'app', 'x.conf') }} {{ salt['file.join']('a', '/abs', 'b') }} {{ salt['file.dirname']('app') }}|
{{ salt.file.dirname('a/b/c') }} {{ salt.slsutil.merge({'a': 1}, {'b': 2}) }} {{ salt.test.echo('attr form') }}
{{ salt['match.glob']('salt*') }} {{ salt['match.glob']('web*') }} {{ salt['match.grain']('os:deb*') }} {{ salt['match.grain']('roles:db') }} {{ salt['match.pillar']('app:users:bob') }} {{ salt['match.list']('a,saltref,b') }}
{{ salt['match.compound']('G@os:Debian and I@flag:True') }} {{ salt['match.compound']('G@os:RedHat or L@saltref') }} {{ salt['match.compound']('not G@os:Debian') }} {{ salt['match.compound']('( G@roles:web and salt* )') }}
{{ salt['test.arg'](1, 'two', k='v') }} {{ salt['test.true']() }} {{ salt['test.false']() }}
{{ salt['log.debug']('a debug message') }} {{ salt['log.info']('an info message') }}
{{ salt['mine.get']('*', 'network.ip_addrs') }}
{{ salt['grains.has_value']('roles') }} {{ salt['grains.has_value']('nope') }}
