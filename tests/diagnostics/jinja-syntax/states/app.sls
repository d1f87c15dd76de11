{% if grains['id'] == 'local' %}
a:
  test.nop: []
{% endfi %}
