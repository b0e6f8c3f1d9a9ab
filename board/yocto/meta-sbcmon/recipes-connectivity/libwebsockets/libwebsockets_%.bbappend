# sbcmon links mbedTLS already; let libwebsockets use it instead of OpenSSL.
# meta-oe's recipe only has an OpenSSL "ssl" PACKAGECONFIG: add "mbedtls" and use it in
# place of "ssl". With mbedtls on, "ssl" off must not pass -DLWS_WITH_SSL=OFF.
PACKAGECONFIG[mbedtls] = "-DLWS_WITH_SSL=ON -DLWS_WITH_MBEDTLS=ON,-DLWS_WITH_MBEDTLS=OFF,mbedtls"
PACKAGECONFIG[ssl] = "-DLWS_WITH_SSL=ON,${@bb.utils.contains('PACKAGECONFIG', 'mbedtls', '', '-DLWS_WITH_SSL=OFF', d)},openssl"
PACKAGECONFIG:remove = "ssl"
PACKAGECONFIG:append = " mbedtls"
