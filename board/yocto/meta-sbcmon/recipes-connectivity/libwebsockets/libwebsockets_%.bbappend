# sbcmon links mbedTLS already; let libwebsockets use it instead of OpenSSL.
# meta-oe's recipe only has an OpenSSL "ssl" PACKAGECONFIG: this adds "mbedtls".
# SBCMON_LWS_TLS picks the TLS library (local.conf): "mbedtls" (default) takes "ssl"
# out and puts "mbedtls" in; "ssl" keeps meta-oe's OpenSSL build as it is.
SBCMON_LWS_TLS ??= "mbedtls"

PACKAGECONFIG[mbedtls] = "-DLWS_WITH_SSL=ON -DLWS_WITH_MBEDTLS=ON,-DLWS_WITH_MBEDTLS=OFF,mbedtls"
# With mbedtls on, "ssl" off must not pass -DLWS_WITH_SSL=OFF. BitBake splits a
# PACKAGECONFIG flag at every comma before expanding it, so the choice lives in a
# variable of its own (no comma in the flag itself).
PACKAGECONFIG[ssl] = "-DLWS_WITH_SSL=ON,${SBCMON_LWS_SSL_OFF},openssl"
SBCMON_LWS_SSL_OFF = "${@bb.utils.contains('PACKAGECONFIG', 'mbedtls', '', '-DLWS_WITH_SSL=OFF', d)}"

PACKAGECONFIG:remove = "${@'ssl' if d.getVar('SBCMON_LWS_TLS') == 'mbedtls' else ''}"
PACKAGECONFIG:append = " ${@'mbedtls' if d.getVar('SBCMON_LWS_TLS') == 'mbedtls' else ''}"
